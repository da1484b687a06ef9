/** Registers every built-in layer type (importing this module is enough). */
import './layers_basic.ts';
import './layers_merge.ts';
import './layers_norm.ts';
import './layers_resample.ts';
import './layers_style.ts';
import './layers_recurrent.ts';
