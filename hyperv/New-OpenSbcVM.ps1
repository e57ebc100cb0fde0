<#
.SYNOPSIS
    Creates a Hyper-V VM for OpenSBC, installs the appliance from its ISO, and starts it.

.DESCRIPTION
    Creates the VM (Generation 2 with Secure Boot and the "Microsoft UEFI Certificate
    Authority" template by default, or Generation 1), with 2 vCPUs, 4 GiB of memory, a
    16 GiB dynamic VHDX, the ISO in a DVD drive as the first boot device and a network
    adapter on the named virtual switch. It starts the VM, waits until the unattended
    installer has powered it off, removes the ISO, makes the disk the first boot device
    and starts the VM again. Then log in on the VM's console as root (password: omc);
    the first-boot wizard asks for a new password and the network settings.

.PARAMETER Name
    The VM's name. A VM of that name must not exist yet.

.PARAMETER IsoPath
    The OpenSBC installer ISO (dist/opensbc-<version>.iso).

.PARAMETER SwitchName
    The virtual switch the network adapter connects to.

.PARAMETER Generation
    2 (default): UEFI with Secure Boot. 1: BIOS, for hosts or policies that need it.

.PARAMETER VhdPath
    Where the VHDX goes. Default: the host's virtual hard disk folder, <Name>.vhdx.

.PARAMETER DiskSizeGB
    Size of the dynamic VHDX in GiB (at least 8; default 16).

.PARAMETER InstallTimeoutMinutes
    How long to wait for the installer to power the VM off (default 30).

.PARAMETER SerialPipe
    Optional named pipe for COM1 (for example \\.\pipe\opensbc-com1), to read the
    installer's progress and the serial console with a pipe client.

.EXAMPLE
    .\New-OpenSbcVM.ps1 -Name sbc1 -IsoPath D:\ISO\opensbc-0.1.0.iso -SwitchName External

.EXAMPLE
    .\New-OpenSbcVM.ps1 -Name sbc1 -IsoPath D:\ISO\opensbc-0.1.0.iso -SwitchName External -Generation 1
#>
#Requires -RunAsAdministrator
#Requires -Modules Hyper-V
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [string]$Name,

    [Parameter(Mandatory)]
    [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string]$IsoPath,

    [Parameter(Mandatory)]
    [string]$SwitchName,

    [ValidateSet(1, 2)]
    [int]$Generation = 2,

    [string]$VhdPath,

    [ValidateRange(8, 2048)]
    [int]$DiskSizeGB = 16,

    [ValidateRange(1, 64)]
    [int]$ProcessorCount = 2,

    [ValidateRange(2, 64)]
    [int]$MemoryGB = 4,

    [ValidateRange(5, 240)]
    [int]$InstallTimeoutMinutes = 30,

    [string]$SerialPipe
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Wait-VMOff {
    param([string]$VMName, [int]$TimeoutMinutes)
    $deadline = (Get-Date).AddMinutes($TimeoutMinutes)
    while ((Get-VM -Name $VMName).State -ne 'Off') {
        if ((Get-Date) -gt $deadline) {
            throw "The installer did not power off '$VMName' within $TimeoutMinutes minutes. " +
                  "Open the VM's console: the installer shows why it stopped."
        }
        Start-Sleep -Seconds 5
    }
}

if (Get-VM -Name $Name -ErrorAction SilentlyContinue) {
    throw "A VM named '$Name' already exists. Choose another -Name or remove that VM first."
}
if (-not (Get-VMSwitch -Name $SwitchName -ErrorAction SilentlyContinue)) {
    throw "There is no virtual switch named '$SwitchName'. List them with Get-VMSwitch."
}
$IsoPath = (Resolve-Path -LiteralPath $IsoPath).ProviderPath
if (-not $VhdPath) {
    $VhdPath = Join-Path -Path (Get-VMHost).VirtualHardDiskPath -ChildPath "$Name.vhdx"
}
if (Test-Path -LiteralPath $VhdPath) {
    throw "The disk '$VhdPath' already exists; the installer needs an empty disk."
}

if (-not $PSCmdlet.ShouldProcess($Name, "Create a Generation $Generation VM and install OpenSBC")) {
    return
}

Write-Verbose "Creating a $DiskSizeGB GiB dynamic VHDX at $VhdPath"
New-VHD -Path $VhdPath -SizeBytes ($DiskSizeGB * 1GB) -Dynamic -BlockSizeBytes 1MB | Out-Null

$vm = New-VM -Name $Name -Generation $Generation -MemoryStartupBytes ($MemoryGB * 1GB) `
    -VHDPath $VhdPath -SwitchName $SwitchName
Set-VMProcessor -VM $vm -Count $ProcessorCount
Set-VMMemory -VM $vm -DynamicMemoryEnabled $false
if ($SerialPipe) {
    Set-VMComPort -VM $vm -Number 1 -Path $SerialPipe
}

if ($Generation -eq 2) {
    # Gen 2 VMs have no DVD drive until one is added. Debian's shim is signed by the
    # Microsoft UEFI CA, which the default "MicrosoftWindows" template does not trust.
    $dvd = Add-VMDvdDrive -VM $vm -Path $IsoPath -Passthru
    Set-VMFirmware -VM $vm -EnableSecureBoot On `
        -SecureBootTemplate MicrosoftUEFICertificateAuthority -FirstBootDevice $dvd
}
else {
    # Gen 1 VMs come with a DVD drive at IDE 1:0.
    Set-VMDvdDrive -VMName $Name -ControllerNumber 1 -ControllerLocation 0 -Path $IsoPath
    Set-VMBios -VM $vm -StartupOrder @('CD', 'IDE', 'LegacyNetworkAdapter', 'Floppy')
}

Write-Host "Installing OpenSBC on '$Name' (the VM powers itself off when done)..."
Start-VM -VM $vm
Wait-VMOff -VMName $Name -TimeoutMinutes $InstallTimeoutMinutes

Write-Host 'Installation finished; removing the ISO and booting from the disk.'
if ($Generation -eq 2) {
    Get-VMDvdDrive -VM $vm | Remove-VMDvdDrive
    Set-VMFirmware -VM $vm -FirstBootDevice (Get-VMHardDiskDrive -VM $vm | Select-Object -First 1)
}
else {
    Set-VMDvdDrive -VMName $Name -ControllerNumber 1 -ControllerLocation 0 -Path $null
    Set-VMBios -VM $vm -StartupOrder @('IDE', 'CD', 'LegacyNetworkAdapter', 'Floppy')
}
Start-VM -VM $vm

Write-Host "OpenSBC is starting on '$Name'. Connect to its console (vmconnect localhost $Name)"
Write-Host 'and log in as root with the password omc; the first-boot wizard takes it from there.'
