"""The bottom of the project: plain Python that every app may import and that imports none of
them (nor Django)."""
