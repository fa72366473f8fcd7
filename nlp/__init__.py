"""Natural-language processing: the difficulty-factor taxonomy and classifier."""
