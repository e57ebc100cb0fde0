"""Benchmarks behind `make bench`; each writes its figures into docs/benchmarks.md."""
