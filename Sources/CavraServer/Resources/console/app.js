// The Evidence Console: filled in by the console module.
