"""Importers that turn real export formats (Slack, Zulip, …) into the same canonical batch as the JSONL reader."""
