"""Benchmarks of ccrc-sync against the floor (openpyxl alone) and the usual gspread scripts.

`python -m bench` (or `make bench`) generates action plans of 34, 1,000 and 10,000 rows
shaped like `templates/plan.xlsx`, edits 1% of the data cells on each side between two
syncs, and reports, per size: the API requests of one sync beside two common gspread
approaches, the edits each approach loses, and the wall time and peak memory of
`validate` and `sync` beside openpyxl's bare load and load+save of the same file.

Modules, one concept each: `plans` (generated workbooks and edits), `approaches` (the
gspread scripts users write), `measure` (time and peak memory of one operation in a fresh
process), `worker` (the child side of `measure`), `scenario` (one size end to end),
`table` (printing). Results go to `bench/results.json`.
"""

SIZES: tuple[int, ...] = (34, 1_000, 10_000)
EDIT_FRACTION = 0.01  # of the data cells, on each side
REPEATS = 3  # timed operations run this often; the median run is reported
