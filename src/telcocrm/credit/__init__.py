"""Credit: ratings A/B/C, classes I–III, suspension exemption and credit authorisation (brief §3)."""
