"""The teacher-demonstration (TnD) study: child-directed speech corpora, word sets and the env."""
