"""Side-by-side benchmarks: the reference agent and ovsagent on the same lab workload."""
