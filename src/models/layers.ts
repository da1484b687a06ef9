/** Registers every built-in layer type (importing this module is enough). */
import './layers_basic.ts';
