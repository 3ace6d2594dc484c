"""The idea box: citizens submit and support ideas, staff answer them with a status."""
