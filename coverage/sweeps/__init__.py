"""Sweeps: sweep files, resumable batch runs (local pool or Dask), ranking reports, the
`batch`/`report` commands."""
