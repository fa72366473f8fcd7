"""Partner digests: the weekly figures, their message, chart, CSV and e-mail."""
