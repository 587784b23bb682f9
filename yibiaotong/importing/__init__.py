"""数据回流: load department extracts into the ledger — read, map, clean, preview, commit, review,
undo. `stage` reads and previews, `commit` writes, `undo` takes a batch back, `review` holds the
conflict and 待落地 queues; the page, the CLI and the console jobs all call these."""
