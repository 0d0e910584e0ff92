"""HTTP routes other than Slack's: health, metrics, the runs API."""
