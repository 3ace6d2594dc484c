"""Ideas, their supports, reports and status history."""
