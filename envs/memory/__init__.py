"""The in-tool vs in-weight memory study: people, their database, and the PeopleMemory env."""
