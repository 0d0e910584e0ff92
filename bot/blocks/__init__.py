"""Pure Block Kit builders and parsers: functions of models, no Slack calls, no I/O."""
