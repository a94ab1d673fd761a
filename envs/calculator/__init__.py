"""The calculator study (TRL's "learning to use a calculator")."""
