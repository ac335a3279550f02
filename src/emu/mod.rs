//! Emulated drives (`emu:FAMILY[,key=value...]`): protocol models, fault plan, virtual clock.
