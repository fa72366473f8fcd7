"""Reach: posters, where people come from (campaign tags), invitations between neighbours."""
