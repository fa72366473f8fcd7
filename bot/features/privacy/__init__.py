"""Privacy: versioned consent, /privacy, /mydata, /forget, retention."""
