"""CLI command groups (typer). Thin faces: parse input, call the core, render output."""
