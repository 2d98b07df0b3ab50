"""The formulation language and everything that turns it into numbers. Knows nothing of LLMs."""
