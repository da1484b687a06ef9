/** Registers Gantry's built-in model families (importing this module is enough). */
import './gan.ts';
import './cyclegan.ts';
import './classifier.ts';
import './vae.ts';
import './pix2pix.ts';
import './srgan.ts';
import './inpaint.ts';
import './t2i.ts';
