"""Shared pieces of the benchmarks: seeding realistic data, running servers, load generation."""
