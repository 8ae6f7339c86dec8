// browse.js: the /browse page, a browser client of the REST API.
//
// The page (templates/browse.html) is an empty shell; this script asks the
// API for posts, 25 at a time, best score first, and appends the next page
// whenever the sentinel below the list scrolls into view. The API answers in
// Eve's envelope: `_items` (the posts), `_links.next` (the next page, absent
// on the last one) and `_meta.total`. The search form restarts the list with
// a `where` filter on the title.
//
// Plain modern JavaScript, no build step, no library. Posts are put into the
// page with DOM calls and `textContent`, never `innerHTML`: titles are text
// written by strangers. Teaching shortcut: rows are never removed, so a very
// long scroll keeps every row in the DOM (a real feed would recycle them).

const PAGE_SIZE = 25;

const root = document.getElementById('browse');
const apiUrl = root.dataset.apiUrl; // PUBLIC_API_URL, without a trailing slash
const list = document.getElementById('posts');
const total = document.getElementById('total');
const status = document.getElementById('status');
const form = document.getElementById('search');

let next = null; // URL of the page to load next; null when there is none
let query = ''; // the words the list is filtered by ('' for every post)
let loading = false;
let generation = 0; // bumped by every search: answers to an older one are dropped

// The sentinel is observed rather than scroll events counted: the browser
// says when it comes within 200 px of the viewport.
const sentinel = document.getElementById('sentinel');
const observer = new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadMore();
}, { rootMargin: '200px' });

// Text matching a regex says nothing special: `c++` looks for "c++".
function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The first page of posts, filtered when words are given.
function firstPage(words) {
  const url = new URL(`${apiUrl}/posts`);
  url.searchParams.set('max_results', PAGE_SIZE);
  url.searchParams.set('sort', '-score');
  if (words) {
    // The words as typed, any run of spaces matching any run of spaces.
    const pattern = words.split(/\s+/).map(escapeRegex).join('\\s+');
    url.searchParams.set('where', JSON.stringify({ title: { $regex: pattern, $options: 'i' } }));
  }
  return url;
}

// One list entry: the title links to the web's own page of the post.
function row(post) {
  const title = document.createElement('a');
  title.className = 'title';
  title.href = `/posts/${encodeURIComponent(post._id)}`;
  title.textContent = post.title;

  const meta = document.createElement('div');
  meta.className = 'meta';
  const part = (className, text) => {
    const span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    return span;
  };
  meta.append(
    part('score', `${post.score ?? 0} points`), ' · ',
    part('author', `by ${post.author}`), ' · ',
    part('comments', `${post.num_comments ?? 0} comments`),
  );

  const body = document.createElement('div');
  body.append(title, meta);
  const li = document.createElement('li');
  li.className = 'post';
  li.append(body);
  return li;
}

// The line under the list: a state, or an error with a way to try again.
function showStatus(text, { error = false } = {}) {
  status.classList.toggle('error', error);
  status.textContent = text;
  if (error) {
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.textContent = 'Try again';
    retry.addEventListener('click', loadMore);
    status.append(' ', retry);
  }
}

async function loadMore() {
  if (loading || !next) return;
  loading = true;
  const mine = generation;
  showStatus('loading…');
  try {
    let response;
    try {
      response = await fetch(next, { headers: { Accept: 'application/json' } });
    } catch {
      // fetch rejects only when no answer came: API down, CORS, network.
      throw new Error(`the API at ${apiUrl} cannot be reached`);
    }
    const body = await response.json().catch(() => null);
    if (mine !== generation) return; // a newer search owns the list now
    if (!response.ok || !body) {
      throw new Error(body?._error?.message ?? `the API answered ${response.status}`);
    }
    list.append(...body._items.map(row));
    const count = body._meta.total;
    total.textContent = `${count} ${count === 1 ? 'post' : 'posts'}`;
    // Links are relative to the API root, like everything Eve returns.
    next = body._links.next ? new URL(body._links.next.href, `${apiUrl}/`) : null;
    if (next) showStatus('');
    else if (list.children.length) showStatus('no more posts');
    else showStatus(query ? `no posts match “${query}”` : 'no posts yet (load the dataset with make data)');
    // Observing again reports where the sentinel is now: when the new rows
    // did not push it out of view (a tall window), the next page loads too.
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  } catch (error) {
    // Not observed again: a failing API is not asked again in a loop.
    if (mine === generation) showStatus(`Cannot load posts: ${error.message}.`, { error: true });
  } finally {
    if (mine === generation) loading = false;
  }
}

// A new list: the filter's first page, then its `_links.next` from there.
function start(words) {
  generation += 1;
  query = words;
  loading = false;
  list.replaceChildren();
  total.textContent = '';
  next = firstPage(words);
  loadMore();
}

form.addEventListener('submit', (event) => {
  event.preventDefault(); // the list changes in place; the page stays
  start(new FormData(form).get('words').trim());
});

start('');
observer.observe(sentinel);
