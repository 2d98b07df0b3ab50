"""The agent: LLM backends and the LangGraph graph from text to a verified answer."""
