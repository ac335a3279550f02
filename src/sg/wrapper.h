/* The one header odflash binds: the Linux SCSI generic (sg) driver interface. */
#include <scsi/sg.h>
