"""Cooperation projects (the open project library). Built in the project-library issue."""
