# eimza-agent (desktop helper) texts.

agent-about = eimza helper: does the steps that need your e-signature card safely on your own computer and reports your renewal request's progress to the IT desk.
