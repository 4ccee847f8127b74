// The LabFigures module: drawing, for any lab. It owns the gnuplot figure (`Figure`: file name,
// caption, data blocks, script) and running gnuplot (`Gnuplot`, `ExternalProcess`), writing a
// batch of figures with their CSV sidecars (`FigureWriter`), raster figures drawn with libpng
// (`RasterCanvas`, `RasterFont`, `RasterFigures`), reading and writing PNG files (`PNGImage`,
// public for the fuzz package) and aligned text tables (`TextTable`).
//
// Imports: Foundation, LabSupport, CPNG. It knows no lab and no question: what a figure shows
// is decided by the lab's page in LabReport.
