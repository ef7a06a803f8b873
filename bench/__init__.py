"""OrderLens benchmarks: `make bench SCALE=100k|1m|10m` (figures printed and saved as JSON)."""
