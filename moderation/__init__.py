"""Review cases, decisions, rights claims and bans: decisions that reach every other app."""
