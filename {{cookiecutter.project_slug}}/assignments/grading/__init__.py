"""Check and grade the course assignments: `make check` (students) and `make grade` (instructors)."""
