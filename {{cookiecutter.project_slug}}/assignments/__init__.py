"""Course assignments: each folder is one assignment (README, checks); grading/ runs and scores them."""
