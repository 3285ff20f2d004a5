"""Jobs that orchestrate analytics and services: the monthly run, write-back, exports."""
