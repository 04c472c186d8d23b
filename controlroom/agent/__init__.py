"""The site side: a resilient hub session, the `controlroom agent` command, simulated sites."""
