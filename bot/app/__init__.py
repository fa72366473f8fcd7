"""The composition root: builds storage, features and channels, and runs them."""
