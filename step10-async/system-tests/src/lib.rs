//! Step 10's system tests live in `tests/system/`; this library is empty.
//!
//! Each service's own tests check it alone, against stand-ins where it
//! calls others. These check the services together, all ten in one test
//! process on port 0, each on a fresh database of its own: a change written
//! in posts reaching search, recommend and the pages; likes, shares and
//! hide through the pages' forms; a job import whose posts sync carries to
//! search; a page degrading when likes is gone; which databases each
//! service touched; and (ignored unless `make api-fuzz` runs them) the
//! services step 10 adds or changes against their OpenAPI documents.
