//! Step 9's system tests live in `tests/system/`; this library is empty.
//!
//! Each service's own tests check it alone, against stand-ins where it
//! calls others. These check the services together, all six in one test
//! process on port 0, each on a fresh database of its own: a change written
//! in posts reaching search, recommend and the pages; which databases each
//! service touched; and (ignored unless `make api-fuzz` runs them) every
//! service against its OpenAPI document.
