#!/usr/bin/env bash
# The API reference's curl examples, in the order the docs show them
# (docs/src/mongo-rest.md includes them by anchor). A test runs this file
# against a fresh API and checks every `# → status` comment, so the docs
# cannot drift from the API. Run it yourself against `make step08`:
#
#   bash step08-rest/examples/api.sh
#
# It writes (a post, then deletes it) and needs python3 to read JSON.
set -euo pipefail
API=${API:-http://127.0.0.1:5002}
json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# ANCHOR: home
curl "$API/"                                                      # → 200
# ANCHOR_END: home

# ANCHOR: page
curl "$API/posts?max_results=2&page=2"                            # → 200
# ANCHOR_END: page

# ANCHOR: where
curl -G "$API/posts" --data-urlencode 'where={"score": {"$gt": 50}, "author": "py_bot"}'      # → 200
curl -G "$API/posts" --data-urlencode 'where=score > 50 and (author == "py_bot" or num_comments >= 10)'  # → 200
curl -G "$API/posts" --data-urlencode 'where={"title": {"$regex": "^flask", "$options": "i"}}'  # → 200
# ANCHOR_END: where

# ANCHOR: refused
curl -G "$API/posts" --data-urlencode 'where={"$where": "sleep(100) || true"}'    # → 400
curl -G "$API/posts" --data-urlencode 'where={"selftext": {"$regex": "a"}}'       # → 400
curl "$API/posts?max_results=500"                                                 # → 400
# ANCHOR_END: refused

# ANCHOR: shape
curl -G "$API/posts" --data-urlencode 'sort=[("num_comments", -1)]' --data-urlencode 'projection={"title": 1}'  # → 200
curl "$API/posts?sort=-score,title&count=none"                    # → 200
# ANCHOR_END: shape

# ANCHOR: create
curl -X POST "$API/posts" -H 'Content-Type: application/json' -d '{
  "name": "t3_hello", "author": "you", "title": "Hello from curl",
  "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT"}'               # → 201
# ANCHOR_END: create

# ANCHOR: invalid
curl -X POST "$API/posts" -H 'Content-Type: application/json' -d '{"name": "hello", "title": ""}'  # → 422
# ANCHOR_END: invalid

# ANCHOR: item
ID=$(curl -G "$API/posts" --data-urlencode 'where={"name": "t3_hello"}' | json '["_items"][0]["_id"]')  # → 200
curl -i "$API/posts/$ID"                                          # → 200
ETAG=$(curl "$API/posts/$ID" | json '["_etag"]')                  # → 200
curl -i "$API/posts/$ID" -H "If-None-Match: \"$ETAG\""            # → 304
# ANCHOR_END: item

# ANCHOR: edit
curl -X PATCH "$API/posts/$ID" -H 'Content-Type: application/json' -d '{"score": 42}'  # → 428
curl -X PATCH "$API/posts/$ID" -H 'Content-Type: application/json' -H "If-Match: \"$ETAG\"" \
  -d '{"score": 42}'                                              # → 200
curl -X PATCH "$API/posts/$ID" -H 'Content-Type: application/json' -H "If-Match: \"$ETAG\"" \
  -d '{"score": 43}'                                              # → 412
# ANCHOR_END: edit

# ANCHOR: oplog
curl -G "$API/oplog" --data-urlencode "where={\"id\": \"$ID\"}"   # → 200
# ANCHOR_END: oplog

# ANCHOR: delete
ETAG=$(curl "$API/posts/$ID" | json '["_etag"]')                  # → 200
curl -X POST "$API/posts/$ID" -H 'X-HTTP-Method-Override: DELETE' -H "If-Match: \"$ETAG\""  # → 204
curl "$API/posts/$ID"                                             # → 404
# ANCHOR_END: delete

# ANCHOR: aggregation
curl "$API/aggregations/recommendations?topics=flask,django&max_results=5"  # → 200
curl "$API/aggregations/recommendations?min_score=lots"           # → 400
# ANCHOR_END: aggregation

# ANCHOR: openapi
curl "$API/openapi.json"                                          # → 200
# ANCHOR_END: openapi
