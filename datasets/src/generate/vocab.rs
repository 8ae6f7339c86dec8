//! The vocabularies the default generator builds posts from.
//!
//! Titles come from templates whose slots are filled from one topic, so that a
//! title reads like the subreddit (r/Python, 2010–2016) and a search for a
//! library name ("django", "pandas", "asyncio") finds a coherent set of posts.
//! The lists are plain data: edit them to change what the generator says.

/// One subject area: the words its titles and self texts are made of.
pub(super) struct Topic {
    /// Relative frequency of the topic.
    pub weight: u32,
    /// Libraries and tools (`{lib}`, `{lib2}`).
    pub libs: &'static [&'static str],
    /// Things one writes about (`{concept}`).
    pub concepts: &'static [&'static str],
    /// Things one wants to do (`{task}`, an infinitive phrase).
    pub tasks: &'static [&'static str],
    /// Sites that publish articles on the topic.
    pub domains: &'static [&'static str],
}

/// The topics.
pub(super) const TOPICS: &[Topic] = &[
    Topic {
        weight: 3,
        libs: &["Django", "Flask", "Pyramid", "Tornado", "Bottle", "requests", "Jinja2", "Werkzeug"],
        concepts: &[
            "REST API",
            "middleware",
            "template engine",
            "web scraper",
            "ORM model",
            "login system",
            "URL router",
            "WSGI app",
        ],
        tasks: &[
            "deploy a Django app",
            "build a REST API",
            "scrape a website",
            "handle file uploads",
            "add user authentication",
            "serve static files",
            "write a chat server",
        ],
        domains: &[
            "djangoproject.com",
            "flask.pocoo.org",
            "realpython.com",
            "blog.miguelgrinberg.com",
            "docs.python-requests.org",
        ],
    },
    Topic {
        weight: 3,
        libs: &["pandas", "NumPy", "SciPy", "matplotlib", "scikit-learn", "IPython", "Jupyter", "seaborn"],
        concepts: &[
            "dataframe",
            "data pipeline",
            "scatter plot",
            "regression model",
            "neural network",
            "time series",
            "heatmap",
            "notebook",
        ],
        tasks: &[
            "clean a CSV file",
            "plot stock prices",
            "merge two dataframes",
            "train a classifier",
            "analyse log files",
            "speed up NumPy code",
        ],
        domains: &["pandas.pydata.org", "scipy.org", "kaggle.com", "jakevdp.github.io", "matplotlib.org"],
    },
    Topic {
        weight: 2,
        libs: &[
            "asyncio",
            "Twisted",
            "gevent",
            "aiohttp",
            "Celery",
            "multiprocessing",
            "threading",
            "concurrent.futures",
        ],
        concepts: &[
            "event loop",
            "coroutine",
            "async generator",
            "thread pool",
            "GIL",
            "task queue",
            "await expression",
            "concurrency model",
        ],
        tasks: &[
            "run tasks in parallel",
            "write an async web crawler",
            "avoid the GIL",
            "cancel a coroutine",
            "process jobs in the background",
        ],
        domains: &["docs.python.org", "twistedmatrix.com", "eli.thegreenplace.net", "snarky.ca"],
    },
    Topic {
        weight: 2,
        libs: &["pip", "setuptools", "virtualenv", "wheel", "conda", "PyPI", "buildout", "pyinstaller"],
        concepts: &[
            "virtual environment",
            "setup.py",
            "wheel file",
            "dependency hell",
            "package index",
            "requirements file",
            "entry point",
            "namespace package",
        ],
        tasks: &[
            "publish a package on PyPI",
            "manage dependencies",
            "install packages offline",
            "build a wheel",
            "ship a command-line tool",
        ],
        domains: &["pypi.python.org", "packaging.python.org", "conda.pydata.org", "blog.ionelmc.ro"],
    },
    Topic {
        weight: 2,
        libs: &["pytest", "unittest", "mock", "nose", "tox", "coverage.py", "hypothesis", "doctest"],
        concepts: &[
            "unit test",
            "test fixture",
            "test double",
            "property-based test",
            "code coverage",
            "test suite",
            "continuous integration",
            "regression test",
        ],
        tasks: &[
            "mock a database",
            "test a Flask app",
            "measure code coverage",
            "write better unit tests",
            "run tests in parallel",
        ],
        domains: &["pytest.org", "nedbatchelder.com", "hypothesis.works", "travis-ci.org"],
    },
    Topic {
        weight: 2,
        libs: &["SQLAlchemy", "MongoDB", "PostgreSQL", "SQLite", "Redis", "psycopg2", "PyMongo", "Peewee"],
        concepts: &[
            "ORM",
            "query builder",
            "database migration",
            "connection pool",
            "index",
            "transaction",
            "schema",
            "NoSQL store",
        ],
        tasks: &[
            "store JSON in PostgreSQL",
            "speed up slow queries",
            "migrate a database schema",
            "cache results in Redis",
            "connect to MongoDB",
        ],
        domains: &["sqlalchemy.org", "mongodb.com", "postgresql.org", "redis.io"],
    },
    Topic {
        weight: 4,
        libs: &["Python 3", "Python 2.7", "PyPy", "Cython", "CPython", "the standard library", "IPython", "PyCharm"],
        concepts: &[
            "generator",
            "decorator",
            "list comprehension",
            "metaclass",
            "context manager",
            "descriptor",
            "type hint",
            "closure",
        ],
        tasks: &[
            "write faster loops",
            "read a large file",
            "parse command-line arguments",
            "format strings",
            "profile Python code",
            "port code to Python 3",
        ],
        domains: &["docs.python.org", "morepypy.blogspot.com", "lucumr.pocoo.org", "jeffknupp.com", "pyvideo.org"],
    },
];

/// Sites linked from every topic, with weights (github and the python.org
/// family dominate the real subreddit).
pub(super) const GENERAL_DOMAINS: &[(&str, u32)] = &[
    ("github.com", 12),
    ("python.org", 4),
    ("medium.com", 4),
    ("youtube.com", 4),
    ("stackoverflow.com", 2),
    ("blog.jetbrains.com", 1),
    ("hackernoon.com", 1),
    ("dev.to", 1),
    ("lwn.net", 1),
    ("thenewstack.io", 1),
];

/// Titles of link posts.
pub(super) const ARTICLE_TEMPLATES: &[&str] = &[
    "{lib} {version} released",
    "Understanding {concept} in {lib}",
    "Tutorial: how to {task} with {lib}",
    "{lib} vs {lib2}: which one to {task}?",
    "Show r/Python: a {adj} tool to {task}",
    "I wrote a {adj} {concept} in {n} lines of Python",
    "A gentle introduction to the {concept}",
    "Lessons learned from {n} years of {lib}",
    "{adj} {concept} patterns with {lib}",
    "Why we moved from {lib2} to {lib}",
    "{n} things I wish I knew before using {lib}",
    "How we {task} at scale with {lib}",
    "The {concept} explained with {lib} examples",
    "{lib} tips for beginners",
];

/// Titles of image posts.
pub(super) const IMAGE_TEMPLATES: &[&str] = &[
    "My {adj} {concept} cheat sheet for {lib}",
    "[OC] Visualising a {concept} with {lib}",
    "When your {concept} finally works",
    "I got a funny error trying to {task}",
    "Screenshot of my {adj} {lib} dashboard",
    "This is what happens when you {task} without {lib}",
    "{lib} {version} in one picture",
    "Made this {concept} diagram while learning {lib}",
    "A map of the {lib} ecosystem",
    "Benchmark: {lib} vs {lib2} to {task}",
    "Drew the {concept} of {lib} on a whiteboard",
    "Graph of my {lib} project after {n} months",
];

/// Titles of self (text) posts: mostly questions.
pub(super) const SELF_TEMPLATES: &[&str] = &[
    "How do I {task} with {lib}?",
    "Help: {lib} raises an error when I {task}",
    "Best way to {task}?",
    "Beginner question about the {concept}",
    "What's your favourite {lib} trick?",
    "Is {lib} still worth learning?",
    "{lib} or {lib2} to {task}?",
    "Code review: my first {concept} in {lib}",
];

/// Sentences of self texts.
pub(super) const SENTENCES: &[&str] = &[
    "I've been using {lib} for {n} months now.",
    "I'm trying to {task} but I keep running into problems.",
    "My {concept} works locally but fails in production.",
    "So far I read the {lib} docs and searched Stack Overflow.",
    "Any pointers would be appreciated.",
    "Is there a more Pythonic way to do this?",
    "I'd love some feedback on my {concept}.",
    "The code is on GitHub if anyone wants to take a look.",
    "Compared to {lib2}, {lib} feels a lot simpler.",
    "Thanks in advance!",
];

/// Adjectives (`{adj}`).
pub(super) const ADJECTIVES: &[&str] = &[
    "simple",
    "fast",
    "tiny",
    "minimal",
    "beautiful",
    "pure-Python",
    "open source",
    "lightweight",
    "modern",
    "practical",
];

/// First halves of generated user names.
pub(super) const NAME_HEADS: &[&str] = &[
    "py", "code", "data", "snake", "dev", "hack", "byte", "lambda", "async", "pixel", "quantum", "lazy", "tiny",
    "captain", "doctor", "mr", "the", "sir", "null", "turbo",
];

/// Second halves of generated user names.
pub(super) const NAME_TAILS: &[&str] = &[
    "monkey", "wizard", "ninja", "guru", "fan", "coder", "hacker", "panda", "otter", "fox", "llama", "cat", "owl",
    "geek", "nerd", "pilot", "smith", "bot",
];
