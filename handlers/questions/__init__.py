"""Citizens' questions routed to the right department, answered by experts, relayed back."""
