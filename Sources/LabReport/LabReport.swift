// The LabReport module: how results read. Pages/ holds each lab's page (`LabPage`: its
// worksheet, its text and its figures with their captions), which the `lab` commands print and
// the report reuses; Worksheets/ the labs/*.md files bundled for --explain; Sections/ the report
// built from the labs' results (Question 1, Question 2, curvature, sharpness) and the command
// lines that reproduce them; Document/ the document model rendered as Markdown, HTML, a Jupyter
// notebook and (through Chromium) PDF, and the folder it is published into atomically.
//
// Imports: Foundation, LabSupport, LabFigures, Labs and the computing modules (Quadratic,
// MNISTData, MNISTNet, Curvature) for their result types. Never ArgumentParser or LabCLI; its
// progress lines go to the printer `lab report` hands it.
