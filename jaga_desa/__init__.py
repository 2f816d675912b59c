"""Jaga Desa as one installable product: the `jaga-desa` command (`cli`), the seeded
`demo`, and `testing` — real servers, a fault proxy and a throwaway PostgreSQL that the
tests and the benchmarks share. It sits on top of every other package and nothing
imports it back."""
