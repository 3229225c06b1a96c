"""Settings package: base (shared), local (embedded defaults), test, production."""
