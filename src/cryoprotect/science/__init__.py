"""Pure science core: chemistry, thermodynamics, transport. Imports nothing but science."""
