"""The people–topic graph: store-neutral records, the GraphStore protocol and its embedded implementation."""
