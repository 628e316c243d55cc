"""The differential fuzzer's chain generator and mutators (test-bed code that scripts/build_strict_vectors.py
may import too; the fuzzer itself, its oracles and its test live in tests/fuzz)."""
