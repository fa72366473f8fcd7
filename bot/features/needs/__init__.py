"""What is missing here: people's needs, mapped onto sectors, and the needs board."""
