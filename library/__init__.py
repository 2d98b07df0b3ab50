"""The experience library: insights, store, retrieval, learning and evolution."""
