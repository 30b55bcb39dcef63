"""What service code imports: settings, engines and sessions, the models and queries, errors,
the embedded server and the pytest plugin. Free to change with the schema it describes."""
